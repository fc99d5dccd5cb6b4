import TicketMeshDomain

/// Hand-written SVG bar charts for reports and the web UI: self-contained, no scripts, well-formed XML.
package enum SVGChart {
  /// One bar: its label and value.
  package struct Bar: Sendable, Equatable {
    package var label: String
    package var value: Double

    package init(label: String, value: Double) {
      self.label = label
      self.value = value
    }
  }

  /// A horizontal bar chart: one row per bar with its label, a bar scaled to the largest value (or `maximum`), and the value.
  ///
  /// Labels are redacted (R10.1) and XML-escaped; `unit` follows each value (e.g. `%`).
  package static func bars(
    title: String, bars: [Bar], unit: String = "", maximum: Double? = nil, width: Int = 560
  ) -> String {
    let rowHeight = 24
    let top = 34
    let labelWidth = 200
    let valueWidth = 70
    let plot = max(40, width - labelWidth - valueWidth - 20)
    let height = top + max(1, bars.count) * rowHeight + 10
    let scale = max(maximum ?? 0, bars.map(\.value).max() ?? 0, 1e-9)
    var svg = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" \
      role="img" aria-label="\(escape(title))" font-family="sans-serif" font-size="12">
      <title>\(escape(title))</title>
      <text x="10" y="20" font-size="14" font-weight="bold">\(escape(title))</text>

      """
    if bars.isEmpty {
      svg += "<text x=\"10\" y=\"\(top + 16)\" fill=\"#666\">no data</text>\n"
    }
    for (index, bar) in bars.enumerated() {
      let y = top + index * rowHeight
      let length = Int((max(0, bar.value) / scale * Double(plot)).rounded())
      let label = escape(truncate(Redaction.redact(bar.label), 30))
      svg += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 15)\" text-anchor=\"end\">\(label)</text>\n"
      svg +=
        "<rect x=\"\(labelWidth)\" y=\"\(y + 3)\" width=\"\(length)\" height=\"\(rowHeight - 8)\" fill=\"#3b7dd8\"/>\n"
      svg +=
        "<text x=\"\(labelWidth + length + 6)\" y=\"\(y + 15)\">\(escape(ReportBuilder.format(bar.value)))\(escape(unit))</text>\n"
    }
    svg += "</svg>"
    return svg
  }

  /// `text` safe inside XML text and attribute values.
  package static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.count)
    for char in text {
      switch char {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&apos;"
      default:
        // XML 1.0 forbids most control characters even when escaped.
        if let scalar = char.unicodeScalars.first, char.unicodeScalars.count == 1,
          scalar.value < 0x20,
          scalar.value != 0x9, scalar.value != 0xA, scalar.value != 0xD
        {
          out += " "
        } else {
          out.append(char)
        }
      }
    }
    return out
  }

  static func truncate(_ text: String, _ limit: Int) -> String {
    text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
  }
}
