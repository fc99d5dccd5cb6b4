/// Keywords of complaint summaries, for the hot-issue figures (R7.1).
///
/// English: words of 3+ letters, lower-cased, minus common words. Chinese has no spaces, so
/// every pair of adjacent Han characters is a keyword (`物流延误` gives `物流`, `流延`, `延误`);
/// pairs that are not words rarely reach the top, as they appear in few summaries.
package enum HotIssues {
  /// At most this many keyword hot issues are listed.
  package static let limit = 5

  static let stopWords: Set<String> = [
    "the", "and", "for", "with", "not", "was", "are", "but", "has", "have", "had", "this", "that",
    "from", "our", "your",
    "you", "his", "her", "they", "them", "their", "its", "been", "were", "will", "would", "can",
    "could", "did", "does",
    "customer", "order", "please", "about", "after", "again", "still", "yet", "too", "very", "why",
    "when", "what",
  ]

  /// The distinct keywords of `text`, sorted.
  package static func keywords(in text: String) -> [String] {
    distinctKeywords(in: text).map(\.text).sorted()
  }

  /// The distinct keywords of `text`, in order of appearance.
  ///
  /// Works on Unicode scalars and compares bytes, not `Character`s: reports run it on every
  /// complaint of a period, and grapheme breaking, case mapping and normalising comparisons
  /// cost more than the rest of the report.
  static func distinctKeywords(in text: String) -> [ByteKey] {
    var found: [ByteKey] = []
    func keep(_ candidate: ByteKey) {
      if !found.contains(candidate) { found.append(candidate) }
    }
    var word: [UInt8] = []
    var previousHan: Unicode.Scalar?
    func flushWord() {
      if word.count >= 3 {
        let candidate = String(decoding: word, as: UTF8.self)
        if !stopWords.contains(candidate) { keep(ByteKey(candidate)) }
      }
      word.removeAll(keepingCapacity: true)
    }
    for scalar in text.unicodeScalars {
      let value = scalar.value
      if (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value) {
        word.append(UInt8(value | 0x20))  // ASCII lower case
        previousHan = nil
        continue
      }
      flushWord()
      if isHan(scalar) {
        if let previous = previousHan {
          var pair = String.UnicodeScalarView()
          pair.append(previous)
          pair.append(scalar)
          keep(ByteKey(String(pair)))
        }
        previousHan = scalar
      } else {
        previousHan = nil
      }
    }
    flushWord()
    return found
  }

  static func isHan(_ scalar: Unicode.Scalar) -> Bool {
    (0x4E00...0x9FFF).contains(scalar.value) || (0x3400...0x4DBF).contains(scalar.value)
  }
}

/// A string hashed and compared by its UTF-8 bytes, as SQL's `GROUP BY` does.
///
/// `String`'s own `==` and hashing normalise non-ASCII text first, which dominates grouping
/// report rows by Chinese department and agent names; stored values are compared as stored.
struct ByteKey: Hashable, Sendable {
  let text: String

  init(_ text: String) { self.text = text }

  static func == (lhs: ByteKey, rhs: ByteKey) -> Bool {
    var left = lhs.text
    var right = rhs.text
    return left.withUTF8 { leftBytes in right.withUTF8 { leftBytes.elementsEqual($0) } }
  }

  func hash(into hasher: inout Hasher) {
    var copy = text
    copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
  }
}
