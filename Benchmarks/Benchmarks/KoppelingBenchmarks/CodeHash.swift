import Benchmark
import Crypto
import KoppelingCore
// KoppelingStorage is not a product of the main package; its module is
// built (KoppelingDaemon depends on it) and found beside KoppelingDaemon's.
import KoppelingStorage

/// The keyed hash (HMAC-SHA-256 under the install secret) that the storage
/// layer keeps in place of a verification code, and the constant-time
/// comparison of a candidate against it.
enum CodeHashBenchmarks {
    static func register() {
        let secret = InstallSecret(key: SymmetricKey(data: [UInt8](repeating: 0x5A, count: 32)))
        let code = VerificationCode(plainText: "21qw00yF67BfewMKku23Gh")
        let stored = secret.hash(code)

        Benchmark("InstallSecret.hash") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(secret.hash(code))
            }
        }
        Benchmark("InstallSecret.matches") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(secret.matches(code, storedHash: stored))
            }
        }
    }
}
