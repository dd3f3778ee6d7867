import KoppelingCore

extension Register {
    /// The controller block, nil until an administrator sets it.
    public func controller() throws -> ControllerRecord? {
        try db.queryOne(
            """
            SELECT name, number, address, contact, privacy_officer_name, privacy_officer_email, set_at, set_by
            FROM controller WHERE id = 1
            """
        ) {
            ControllerRecord(
                controller: Controller(
                    name: $0.text(0),
                    number: $0.text(1),
                    address: $0.text(2),
                    contact: $0.text(3),
                    privacyOfficer: .init(name: $0.text(4), email: $0.text(5))
                ),
                setAt: $0.text(6),
                setBy: $0.text(7)
            )
        }
    }

    /// Sets (or replaces) the controller block; `controller` is validated.
    /// Only the current block is kept: each time it was set is in the audit
    /// trail and in `register.changes`, not the values it replaced.
    public func setController(_ c: Controller, by caller: Caller, now: String) throws -> ControllerRecord {
        try inWriteScope {
            try db.run(
                """
                INSERT INTO controller (id, name, number, address, contact, privacy_officer_name, privacy_officer_email,
                    set_at, set_by)
                VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, number = excluded.number,
                    address = excluded.address, contact = excluded.contact,
                    privacy_officer_name = excluded.privacy_officer_name,
                    privacy_officer_email = excluded.privacy_officer_email, set_at = excluded.set_at,
                    set_by = excluded.set_by
                """,
                [
                    .text(c.name), .text(c.number), .text(c.address), .text(c.contact), .text(c.privacyOfficer.name),
                    .text(c.privacyOfficer.email), .text(now), .text(caller.user),
                ]
            )
            return ControllerRecord(controller: c, setAt: now, setBy: caller.user)
        }
    }
}
