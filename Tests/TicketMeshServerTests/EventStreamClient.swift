import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A minimal Server-Sent Events reader over a plain TCP socket (FoundationNetworking on Linux has
/// no streaming body): sends one GET, then collects each `event:`/`data:` frame as it arrives.
final class EventStreamClient: Sendable {
    struct Event: Sendable, Equatable {
        let name: String
        let data: String
        /// When the frame was read (`Date().timeIntervalSince1970`).
        let at: Double
    }

    private let socket: Int32
    private let state = Mutex<(events: [Event], status: Int?, closed: Bool)>(([], nil, false))

    /// Connects to 127.0.0.1:`port` and asks for `path` with `cookie` (`tm_session=…`).
    init(port: Int, path: String, cookie: String?) throws {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
        socket = fd
        var head = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: text/event-stream\r\n"
        if let cookie { head += "Cookie: \(cookie)\r\n" }
        head += "\r\n"
        _ = head.withCString { send(fd, $0, strlen($0), 0) }
        Thread { [self] in self.read() }.start()
    }

    private func read() {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var pending = ""
        var headerDone = false
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { break }
            pending += String(decoding: buffer[0..<count], as: UTF8.self)
            if !headerDone, let end = pending.range(of: "\r\n\r\n") {
                let statusLine = pending[..<end.lowerBound].split(separator: "\r\n").first ?? ""
                let status = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) }
                state.withLock { $0.status = status }
                pending = String(pending[end.upperBound...])
                headerDone = true
            }
            guard headerDone else { continue }
            // Chunked transfer: frames are found by their blank line; chunk sizes sit on lines of their own.
            while let end = pending.range(of: "\n\n") {
                let frame = String(pending[..<end.lowerBound])
                pending = String(pending[end.upperBound...])
                var name = "message", data = ""
                // "\r\n" (after a chunk size) is one Character in Swift: split it into lines first.
                for line in frame.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n") {
                    let text = String(line)
                    if text.hasPrefix("event: ") { name = String(text.dropFirst(7)) }
                    if text.hasPrefix("data: ") { data = String(text.dropFirst(6)) }
                }
                guard !data.isEmpty else { continue }
                let event = Event(name: name, data: data, at: Date().timeIntervalSince1970)
                state.withLock { $0.events.append(event) }
            }
        }
        state.withLock { $0.closed = true }
    }

    var status: Int? { state.withLock { $0.status } }
    var events: [Event] { state.withLock { $0.events } }
    var isClosed: Bool { state.withLock { $0.closed } }

    /// Waits up to `seconds` for an event satisfying `predicate`.
    func wait(seconds: Double = 10, for predicate: (Event) -> Bool) async -> Event? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let event = events.first(where: predicate) { return event }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    /// Closes the connection (the server notices at its next write).
    func stop() {
        shutdown(socket, Int32(SHUT_RDWR))
    }

    deinit { close(socket) }
}
