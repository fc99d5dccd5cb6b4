import Foundation

/// Reading and atomically writing the small files of a CA or site TLS directory.
enum PEMFiles {
    /// Reads a text file, naming it and the flag it came from when it is missing.
    static func read(_ url: URL, flag: String) throws(SyncError) -> String {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw SyncError.configuration(
                field: flag,
                value: url.deletingLastPathComponent().path,
                rule: "must contain '\(url.lastPathComponent)' (made by 'ticketmesh certs')"
            )
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Writes `text` to `url` via a temporary file and a rename, with the given POSIX mode.
    ///
    /// Keys use 0600; the file is created with that mode, so it is never readable by others.
    static func write(_ text: String, to url: URL, mode: Int = 0o644) throws(SyncError) {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        let manager = FileManager.default
        try? manager.removeItem(at: temporary)
        guard
            manager.createFile(atPath: temporary.path, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
        else {
            throw SyncError(code: .invalidConfiguration, message: "cannot write '\(url.path)': directory not writable")
        }
        do {
            try manager.setAttributes([.posixPermissions: mode], ofItemAtPath: temporary.path)
        } catch {
            throw SyncError(
                code: .invalidConfiguration,
                message: "cannot write '\(url.path)': \(error.localizedDescription)"
            )
        }
        // rename(2) replaces the target atomically: readers see the old file or the new one, never a mix.
        guard rename(temporary.path, url.path) == 0 else {
            throw SyncError(
                code: .invalidConfiguration,
                message: "cannot write '\(url.path)': rename failed (errno \(errno))"
            )
        }
    }

    /// Creates `directory` (and parents) if needed.
    static func makeDirectory(_ directory: URL, flag: String) throws(SyncError) {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw SyncError.configuration(field: flag, value: directory.path, rule: "must be a creatable directory")
        }
    }
}
