import Foundation
import KoppelingTime
import Testing

@testable import KoppelingCore

@Suite("Daily schedule")
struct DailyScheduleTests {
    let amsterdam = DailySchedule(zone: zone("Europe/Amsterdam"), runAt: time("00:05"))

    // MARK: Single decisions

    @Test func runInstantIsTheLocalRunTime() {
        #expect(amsterdam.runInstant(of: day("2026-01-15")) == utc("2026-01-14T23:05:00Z"))
        #expect(amsterdam.runInstant(of: day("2026-07-15")) == utc("2026-07-14T22:05:00Z"))
        let late = DailySchedule(zone: zone("Europe/Amsterdam"), runAt: time("02:30"))
        #expect(late.runInstant(of: day("2026-03-29")) == utc("2026-03-29T01:00:00Z"))
        #expect(late.runInstant(of: day("2026-10-25")) == utc("2026-10-25T00:30:00Z"))
    }

    @Test func dueOnlyFromTheRunInstant() {
        let lastRun = day("2026-01-14")
        #expect(amsterdam.isDue(at: utc("2026-01-14T23:04:59Z"), lastRunDay: lastRun) == nil)
        #expect(amsterdam.isDue(at: utc("2026-01-14T23:05:00Z"), lastRunDay: lastRun) == day("2026-01-15"))
        #expect(amsterdam.isDue(at: utc("2026-01-15T12:00:00Z"), lastRunDay: lastRun) == day("2026-01-15"))
        #expect(amsterdam.isDue(at: utc("2026-01-15T12:00:00Z"), lastRunDay: day("2026-01-15")) == nil)
    }

    @Test func beforeTodaysRunTimeYesterdayIsTheDueDay() {
        // 00:01 local: today's run is not due yet, yesterday's is.
        #expect(amsterdam.dueDay(at: utc("2026-01-14T23:01:00Z")) == day("2026-01-14"))
        #expect(amsterdam.isDue(at: utc("2026-01-14T23:01:00Z"), lastRunDay: day("2026-01-13")) == day("2026-01-14"))
    }

    @Test func firstStartRunsAtOnce() {
        #expect(amsterdam.isDue(at: utc("2026-01-15T12:00:00Z"), lastRunDay: nil) == day("2026-01-15"))
        #expect(amsterdam.nextRun(after: utc("2026-01-15T12:00:00Z"), lastRunDay: nil) == utc("2026-01-15T12:00:00Z"))
    }

    @Test func downtimeIsMadeUpOnceAtTheFirstCheck() {
        // Last ran 2026-02-10, down until 2026-02-13 10:00 local.
        var lastRun = day("2026-02-10")
        let back = utc("2026-02-13T09:00:00Z")
        let due = amsterdam.isDue(at: back, lastRunDay: lastRun)
        #expect(due == day("2026-02-13"))
        lastRun = due ?? lastRun
        var runs: [LocalDate] = []
        var now = back
        while now < utc("2026-02-14T23:00:00Z") {
            now.addTimeInterval(60)
            if let d = amsterdam.isDue(at: now, lastRunDay: lastRun) {
                runs.append(d)
                lastRun = d
            }
        }
        #expect(runs.count == 1)
        #expect(runs.first == day("2026-02-14"))
    }

    @Test func downtimeEndingBeforeTheRunTimeMakesUpYesterday() {
        // Back at 00:01 on the 13th: the 12th is owed now, the 13th at 00:05.
        let lastRun = day("2026-02-10")
        #expect(amsterdam.isDue(at: utc("2026-02-12T23:01:00Z"), lastRunDay: lastRun) == day("2026-02-12"))
        #expect(
            amsterdam.nextRun(after: utc("2026-02-12T23:01:00Z"), lastRunDay: day("2026-02-12"))
                == utc("2026-02-12T23:05:00Z")
        )
    }

    @Test func clockSetBackAfterTheRunGivesNoSecondRun() {
        var lastRun = day("2026-02-11")
        let runAt = utc("2026-02-11T23:05:00Z")
        lastRun = amsterdam.isDue(at: runAt, lastRunDay: lastRun) ?? lastRun
        #expect(lastRun == day("2026-02-12"))
        // The clock is corrected an hour back, to before the run time, and runs on.
        var now = runAt.addingTimeInterval(-3600 + 60)
        var runs: [(LocalDate, Date)] = []
        while now < utc("2026-02-13T12:00:00Z") {
            if let d = amsterdam.isDue(at: now, lastRunDay: lastRun) {
                runs.append((d, now))
                lastRun = d
            }
            #expect(amsterdam.nextRun(after: now, lastRunDay: lastRun) > now)
            now.addTimeInterval(60)
        }
        #expect(runs.count == 1)
        #expect(runs.first?.0 == day("2026-02-13"))
        #expect(runs.first?.1 == utc("2026-02-12T23:05:00Z"))
    }

    @Test func clockJumpForwardOverTheRunTimeGivesOneRun() {
        var lastRun = day("2026-02-11")
        let before = utc("2026-02-11T22:50:00Z")
        #expect(amsterdam.isDue(at: before, lastRunDay: lastRun) == nil)
        // Jump from 23:50 to 03:00 local, over 00:05.
        var now = utc("2026-02-12T02:00:00Z")
        var runs: [LocalDate] = []
        while now < utc("2026-02-12T12:00:00Z") {
            if let d = amsterdam.isDue(at: now, lastRunDay: lastRun) {
                runs.append(d)
                lastRun = d
            }
            now.addTimeInterval(60)
        }
        #expect(runs.count == 1)
        #expect(runs.first == day("2026-02-12"))
    }

    @Test func nextRunIsNowWhenDue() {
        let now = utc("2026-01-14T23:05:00Z")
        #expect(amsterdam.nextRun(after: now, lastRunDay: day("2026-01-14")) == now)
        #expect(amsterdam.nextRun(after: now, lastRunDay: day("2026-01-01")) == now)
    }

    @Test func nextRunIsTheNextDaysRunInstant() {
        #expect(
            amsterdam.nextRun(after: utc("2026-01-14T23:05:00Z"), lastRunDay: day("2026-01-15"))
                == utc("2026-01-15T23:05:00Z")
        )
        #expect(
            amsterdam.nextRun(after: utc("2026-01-14T23:04:00Z"), lastRunDay: day("2026-01-14"))
                == utc("2026-01-14T23:05:00Z")
        )
        // Into summer time: the next run is at 22:05Z.
        #expect(
            amsterdam.nextRun(after: utc("2026-03-28T23:05:00Z"), lastRunDay: day("2026-03-29"))
                == utc("2026-03-29T22:05:00Z")
        )
        let late = DailySchedule(zone: zone("Europe/Amsterdam"), runAt: time("02:30"))
        #expect(
            late.nextRun(after: utc("2026-03-28T12:00:00Z"), lastRunDay: day("2026-03-28"))
                == utc("2026-03-29T01:00:00Z")
        )
        #expect(
            late.nextRun(after: utc("2026-10-24T12:00:00Z"), lastRunDay: day("2026-10-24"))
                == utc("2026-10-25T00:30:00Z")
        )
    }

    @Test func nextRunAfterAClockSetBackIsNeverTheDayAlreadyRun() {
        // Ran 2026-01-15 at 00:05 local; the clock is then set back to 23:30 on the 14th.
        let lastRun = day("2026-01-15")
        for minutesBack in [1, 30, 60, 24 * 60, 3 * 24 * 60] {
            let now = utc("2026-01-14T23:05:00Z").addingTimeInterval(-Double(minutesBack) * 60)
            #expect(amsterdam.isDue(at: now, lastRunDay: lastRun) == nil)
            #expect(amsterdam.nextRun(after: now, lastRunDay: lastRun) == utc("2026-01-15T23:05:00Z"))
        }
    }

    @Test func lastRunDayInTheFutureIsRespected() {
        // A clock that ran days ahead and was corrected: nothing runs until the
        // day after the last run.
        let lastRun = day("2026-01-20")
        #expect(amsterdam.isDue(at: utc("2026-01-15T12:00:00Z"), lastRunDay: lastRun) == nil)
        #expect(
            amsterdam.nextRun(after: utc("2026-01-15T12:00:00Z"), lastRunDay: lastRun) == utc("2026-01-20T23:05:00Z")
        )
    }

    // MARK: Simulation

    struct Case: Sendable, CustomTestStringConvertible {
        let zone: String
        let runAt: String
        let start: String
        let stepSeconds: Int
        var testDescription: String { "\(zone) at \(runAt), \(stepSeconds)-second steps from \(start)" }
    }

    /// Each range covers both DST changes of its zone: Amsterdam at 02:00/03:00
    /// local, Santiago at midnight, and Asuncion at midnight until it kept
    /// summer time for good in October 2024.
    static let cases: [Case] = [
        // A 7-minute step lands at every phase of the run minute.
        Case(zone: "Europe/Amsterdam", runAt: "00:05", start: "2026-01-01", stepSeconds: 420),
        Case(zone: "Europe/Amsterdam", runAt: "02:30", start: "2026-01-01", stepSeconds: 300),
        Case(zone: "America/Santiago", runAt: "00:00", start: "2026-01-01", stepSeconds: 300),
        Case(zone: "America/Santiago", runAt: "00:05", start: "2026-01-01", stepSeconds: 300),
        Case(zone: "America/Santiago", runAt: "23:30", start: "2026-01-01", stepSeconds: 300),
        Case(zone: "America/Asuncion", runAt: "00:00", start: "2024-01-01", stepSeconds: 300),
        Case(zone: "America/Asuncion", runAt: "00:05", start: "2024-01-01", stepSeconds: 300),
    ]

    /// Steps a fake wall clock through 400 days and runs whenever the schedule
    /// says so. An independent oracle (Foundation's calendar) says which day's
    /// run is owed at each step: the newest local day whose run time the wall
    /// clock has reached. There must be exactly one run per local day, at the
    /// first step at or after that day's run instant.
    @Test(arguments: cases)
    func simulation(_ c: Case) throws {
        guard let z = Zone(identifier: c.zone) else {
            // Not every tz database has every zone; Amsterdam and Santiago must.
            #expect(c.zone == "America/Asuncion", "zone \(c.zone) missing")
            return
        }
        let schedule = DailySchedule(zone: z, runAt: time(c.runAt))
        let wall = WallClock(c.zone)
        let step = Double(c.stepSeconds)
        let runSeconds = schedule.runAt.secondsIntoDay

        func owed(_ t: Date) -> LocalDate {
            let w = wall.read(t)
            return w.seconds >= runSeconds ? w.day : w.day.adding(days: -1)
        }

        var now = schedule.runInstant(of: day(c.start)).addingTimeInterval(-3 * 3600)
        let end = now.addingTimeInterval(400 * 86_400)
        var lastRunDay: LocalDate? = owed(now)
        var oracle = owed(now)
        var runs: [(day: LocalDate, at: Date)] = []
        var problems: [String] = []
        // What nextRun promised at the previous step; `status` shows it.
        var promised: Date?

        while now < end {
            now.addTimeInterval(step)
            let expectedDay = owed(now)
            let expectRun = expectedDay > oracle
            oracle = max(oracle, expectedDay)

            let next = schedule.nextRun(after: now, lastRunDay: lastRunDay)
            if let d = schedule.isDue(at: now, lastRunDay: lastRunDay) {
                runs.append((d, now))
                if next != now {
                    problems.append("\(Instant.rfc3339(now)): due but nextRun is \(Instant.rfc3339(next))")
                }
                if !expectRun || d != expectedDay {
                    problems.append(
                        "\(Instant.rfc3339(now)): ran \(d), oracle owed \(expectRun ? "\(expectedDay)" : "nothing")"
                    )
                }
                let instant = schedule.runInstant(of: d)
                if !(instant <= now && now.timeIntervalSince(instant) < step) {
                    problems.append(
                        "\(Instant.rfc3339(now)): ran \(d) whose run instant is \(Instant.rfc3339(instant))"
                    )
                }
                if let last = lastRunDay, d <= last { problems.append("\(Instant.rfc3339(now)): ran \(d) again") }
                if let p = promised, !(p <= now && now.timeIntervalSince(p) < step) {
                    problems.append("\(Instant.rfc3339(now)): ran \(d) but nextRun had said \(Instant.rfc3339(p))")
                }
                lastRunDay = d
                promised = nil
            } else {
                if expectRun { problems.append("\(Instant.rfc3339(now)): missed \(expectedDay)") }
                if next <= now {
                    problems.append("\(Instant.rfc3339(now)): not due but nextRun is \(Instant.rfc3339(next))")
                }
                if let p = promised, p != next {
                    problems.append(
                        "\(Instant.rfc3339(now)): nextRun moved from \(Instant.rfc3339(p)) to \(Instant.rfc3339(next))"
                    )
                }
                promised = next
            }
            if problems.count > 20 { break }
        }

        #expect(problems.isEmpty, "\(problems.prefix(20).joined(separator: "\n"))")
        // One run per local day, no day skipped or repeated.
        let days = runs.map(\.day)
        #expect(days.count == 400)
        #expect(Set(days).count == days.count)
        #expect(zip(days, days.dropFirst()).allSatisfy { $1 == $0.adding(days: 1) })
        #expect(days.first == day(c.start))
    }

    /// The same walk, but with the wall clock jumping: back an hour right
    /// after some runs, forward several hours over others, and a few
    /// multi-day outages. Never a day twice, never a run before its run
    /// instant, and nothing owed at the end (an outage collapses the missed
    /// days into the one made-up run).
    @Test func simulationWithClockJumps() {
        let schedule = DailySchedule(zone: zone("Europe/Amsterdam"), runAt: time("00:05"))
        var now = utc("2026-01-01T12:00:00Z")
        let end = now.addingTimeInterval(400 * 86_400)
        var lastRunDay: LocalDate? = day("2026-01-01")
        var runDays: [LocalDate] = []
        var problems: [String] = []
        var generator = SplitMix64(seed: 20_260_101)
        var tick = 0
        while now < end {
            tick += 1
            switch generator.next() % 4000 {
            case 0: now.addTimeInterval(-3600)  // set back an hour
            case 1: now.addTimeInterval(Double(3 + generator.next() % 5) * 3600)  // jump ahead hours
            case 2: now.addTimeInterval(Double(1 + generator.next() % 3) * 86_400)  // downtime of days
            default: now.addTimeInterval(300)
            }
            if let d = schedule.isDue(at: now, lastRunDay: lastRunDay) {
                if let last = lastRunDay, d <= last { problems.append("ran \(d) after \(last)") }
                if schedule.runInstant(of: d) > now { problems.append("ran \(d) early, at \(Instant.rfc3339(now))") }
                if d < schedule.zone.localDate(at: now).adding(days: -1) {
                    problems.append("ran \(d) on \(schedule.zone.localDate(at: now)), not the newest day owed")
                }
                runDays.append(d)
                lastRunDay = d
                // Setting the clock back right after a run must not repeat it.
                if generator.next() % 10 == 0 { now.addTimeInterval(-3600) }
            }
        }
        #expect(problems.isEmpty, "\(problems.prefix(10))")
        #expect(Set(runDays).count == runDays.count)
        #expect(runDays == runDays.sorted())
        #expect(schedule.isDue(at: now, lastRunDay: lastRunDay) == nil)
        #expect(runDays.count > 300)
        #expect(tick > 50_000)
    }
}

/// A small deterministic generator, so a failing jump sequence can be replayed.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
