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
    var found: Set<String> = []
    var word = ""
    var previousHan: Character?
    func flushWord() {
      if word.count >= 3, !stopWords.contains(word) { found.insert(word) }
      word = ""
    }
    for char in text {
      if char.isASCII, char.isLetter {
        word.append(Character(char.lowercased()))
        previousHan = nil
        continue
      }
      flushWord()
      if isHan(char) {
        if let previous = previousHan { found.insert(String([previous, char])) }
        previousHan = char
      } else {
        previousHan = nil
      }
    }
    flushWord()
    return found.sorted()
  }

  static func isHan(_ char: Character) -> Bool {
    guard let scalar = char.unicodeScalars.first, char.unicodeScalars.count == 1 else {
      return false
    }
    return (0x4E00...0x9FFF).contains(scalar.value) || (0x3400...0x4DBF).contains(scalar.value)
  }
}
