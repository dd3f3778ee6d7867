import Foundation
import Testing

/// The daemon driven by JSON-RPC client libraries nobody here wrote
/// (tinyrpc 1.1.7, jsonrpcclient 4.0.3), installed from PyPI into a venv of
/// the test's own: a call, notifications then a call (which must get its
/// own reply: tinyrpc raises `UnexpectedIDError` otherwise), and batches.
/// Skipped, with the reason, where python3, its venv module or PyPI is
/// not available; CI installs python3-venv (`.ci/run`).
@Suite("Real JSON-RPC client libraries")
struct RealClientTests {
    static let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    static let packages = ["tinyrpc==1.1.7", "jsonrpcclient==4.0.3"]

    /// Runs `arguments[0]` with the rest; its exit status and output.
    static func run(_ arguments: [String], timeout: TimeInterval = 300) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let collected = OutputBox()
        let reading = Thread { collected.data = output.fileHandleForReading.readDataToEndOfFile() }
        reading.start()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        if process.isRunning { process.terminate() }
        process.reap()
        while !collected.done { usleep(10_000) }
        return (process.terminationStatus, String(decoding: collected.data ?? Data(), as: UTF8.self))
    }

    final class OutputBox: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Data?
        var data: Data? {
            get { lock.withLock { value } }
            set { lock.withLock { value = newValue } }
        }
        var done: Bool { data != nil }
    }

    @Test(
        "tinyrpc and jsonrpcclient: a call, notifications then a call, batches",
        .enabled(if: python != nil, "needs python3 (/usr/bin/python3) to make a venv for the client libraries")
    )
    func realClients() throws {
        let directory = TemporaryDirectory()
        let venv = directory.path + "/venv"
        let python = try #require(Self.python)
        let made = try Self.run([python, "-m", "venv", venv])
        if made.status != 0 {
            try Test.cancel(
                "python3 -m venv failed (on Debian: apt-get install python3-venv): \(made.output.suffix(500))"
            )
        }
        let pip = try Self.run(
            [venv + "/bin/python", "-m", "pip", "install", "--disable-pip-version-check", "--quiet"] + Self.packages
        )
        if pip.status != 0 {
            try Test.cancel("pip could not install \(Self.packages.joined(separator: " ")): \(pip.output.suffix(500))")
        }
        let script = directory.path + "/clients.py"
        try Self.script.write(toFile: script, atomically: true, encoding: .utf8)

        let daemon = try DaemonProcess()
        let outcome = try Self.run([venv + "/bin/python", script, daemon.socketPath], timeout: 60)
        #expect(outcome.status == 0, "the client script failed:\n\(outcome.output)")
        #expect(outcome.output.contains("all clients done"), "\(outcome.output)")
        #expect(daemon.stop() == 0)
    }

    static let script = #"""
        import json
        import socket
        import sys

        import jsonrpcclient
        from tinyrpc.client import RPCCall, RPCClient
        from tinyrpc.protocols.jsonrpc import JSONRPCProtocol
        from tinyrpc.transports import ClientTransport


        class UnixLines(ClientTransport):
            """One JSON value per line over the daemon's Unix socket."""

            def __init__(self, path):
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.settimeout(10)
                self.sock.connect(path)
                self.buffer = b""

            def send_message(self, message, expect_reply=True):
                self.sock.sendall(message + b"\n")
                if expect_reply:
                    return self.read_line()
                return None

            def read_line(self):
                while b"\n" not in self.buffer:
                    chunk = self.sock.recv(65536)
                    if not chunk:
                        raise ConnectionError("the daemon closed the connection")
                    self.buffer += chunk
                line, _, self.buffer = self.buffer.partition(b"\n")
                return line


        path = sys.argv[1]

        # tinyrpc: it raises UnexpectedIDError when a reply is not the one
        # to the call it sent.
        protocol = JSONRPCProtocol()
        transport = UnixLines(path)
        client = RPCClient(protocol, transport)
        hello = client.call("hello", [], {})
        assert hello["daemon"] == "koppelingd", hello
        print("tinyrpc call:", hello["daemon"], hello["protocol"])

        client.call("bestaat.niet", [], {}, one_way=True)
        client.call("school.get", [], {"onbekend": 1}, one_way=True)
        client.call("school.add", [], {"brin6": "2QW00", "name": "Fout"}, one_way=True)
        client.call("hello", [], {}, one_way=True)
        status = client.call("status", [], {})
        assert "version" in status, status
        print("tinyrpc notifications then a call: the call got its own reply")

        replies = client.batch_call([
            RPCCall("school.add", [], {"brin6": "21QW00", "name": "De Regenboog"}),
            RPCCall("school.get", [], {"brin6": "21QW00"}),
            RPCCall("bestaat.niet", [], {}),
        ])
        assert len(replies) == 3, replies
        assert replies[1].result["school"]["name"] == "De Regenboog", replies[1].result
        assert replies[2].error, replies[2]
        print("tinyrpc batch_call:", [type(r).__name__ for r in replies])

        only_notifications = protocol.create_batch_request()
        only_notifications.append(protocol.create_request("hello", [], {}, one_way=True))
        only_notifications.append(protocol.create_request("bestaat.niet", [], {}, one_way=True))
        transport.send_message(only_notifications.serialize(), expect_reply=False)
        assert client.call("hello", [], {})["daemon"] == "koppelingd"
        print("tinyrpc batch of notifications: no reply")

        # jsonrpcclient builds requests and reads replies; the line is ours.
        lines = UnixLines(path)
        call = jsonrpcclient.request("school.list")
        lines.send_message(json.dumps(jsonrpcclient.notification("bestaat.niet")).encode(), expect_reply=False)
        reply = jsonrpcclient.parse(json.loads(lines.send_message(json.dumps(call).encode())))
        assert isinstance(reply, jsonrpcclient.Ok) and reply.id == call["id"], reply
        batch = [jsonrpcclient.request("hello"), jsonrpcclient.notification("hello"), jsonrpcclient.request("school.list")]
        parsed = jsonrpcclient.parse(json.loads(lines.send_message(json.dumps(batch).encode())))
        assert [r.id for r in parsed] == [batch[0]["id"], batch[2]["id"]], parsed
        assert all(isinstance(r, jsonrpcclient.Ok) for r in parsed), parsed
        print("jsonrpcclient: notification then call, batch")
        print("all clients done")
        """#
}
