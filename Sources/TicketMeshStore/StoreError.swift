/// A store-level failure that is not a refused command: missing or mismatched site, unusable data directory.
package struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    package enum Code: Hashable, Sendable {
        case notInitialized
        case alreadyInitialized
        case unusableDirectory
        /// The replica's own tables disagree (hand-edited or damaged): `audit --verify` tells where.
        case inconsistent
    }

    package let code: Code
    package let message: String
    package var description: String { message }

    package init(code: Code, message: String) {
        self.code = code
        self.message = message
    }
}
