/*
 * The raw durable commit rate of SQLite on one disk: one INSERT per
 * transaction, with the pragmas koppelingd uses (WAL, synchronous=FULL,
 * foreign_keys=ON), for a fixed time. It is the floor a daemon doing one
 * commit per write request cannot beat, and what group commit should.
 *
 *   cc -O2 -o sqlite-commit-rate sqlite-commit-rate.c -lsqlite3
 *   ./sqlite-commit-rate DATABASE SECONDS
 *
 * Prints one line: commits=N seconds=S commits_per_second=R p50_us=… p99_us=…
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void check(int rc, sqlite3 *db, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "sqlite-commit-rate: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s DATABASE SECONDS\n", argv[0]);
        return 2;
    }
    double duration = atof(argv[2]);
    sqlite3 *db;
    check(sqlite3_open(argv[1], &db), db, "open");
    check(sqlite3_exec(db,
        "PRAGMA busy_timeout = 5000;"
        "PRAGMA journal_mode = WAL;"
        "PRAGMA synchronous = FULL;"
        "PRAGMA foreign_keys = ON;"
        "CREATE TABLE IF NOT EXISTS parent (id INTEGER PRIMARY KEY);"
        "INSERT OR IGNORE INTO parent (id) VALUES (1);"
        /* A row the size of an activation, with a foreign key to check. */
        "CREATE TABLE IF NOT EXISTS commit_rate ("
        "  id INTEGER PRIMARY KEY, parent INTEGER NOT NULL REFERENCES parent(id),"
        "  payload TEXT NOT NULL, at TEXT NOT NULL);",
        NULL, NULL, NULL), db, "set-up");

    sqlite3_stmt *begin, *insert, *commit;
    check(sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, NULL), db, "prepare begin");
    check(sqlite3_prepare_v2(db, "INSERT INTO commit_rate (parent, payload, at) VALUES (1, ?1, ?2)", -1, &insert, NULL), db, "prepare insert");
    check(sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL), db, "prepare commit");

    size_t capacity = 1 << 16, n = 0;
    double *latencies = malloc(capacity * sizeof(double));
    char payload[160];
    double start = now_seconds(), end = start + duration, t = start;
    while (t < end) {
        double before = t;
        snprintf(payload, sizeof payload, "%064zx-a-row-about-as-long-as-a-hashed-verification-code-and-a-name", n);
        check(sqlite3_step(begin), db, "begin");
        sqlite3_reset(begin);
        sqlite3_bind_text(insert, 1, payload, -1, SQLITE_STATIC);
        sqlite3_bind_text(insert, 2, "2025-01-01T00:00:00Z", -1, SQLITE_STATIC);
        check(sqlite3_step(insert), db, "insert");
        sqlite3_reset(insert);
        check(sqlite3_step(commit), db, "commit");
        sqlite3_reset(commit);
        t = now_seconds();
        if (n == capacity) {
            capacity *= 2;
            latencies = realloc(latencies, capacity * sizeof(double));
        }
        latencies[n++] = t - before;
    }
    double elapsed = t - start;
    qsort(latencies, n, sizeof(double), compare_doubles);
    printf("commits=%zu seconds=%.3f commits_per_second=%.1f p50_us=%.0f p99_us=%.0f\n",
           n, elapsed, (double)n / elapsed,
           n ? latencies[n / 2] * 1e6 : 0.0, n ? latencies[(size_t)((double)n * 0.99)] * 1e6 : 0.0);
    sqlite3_finalize(begin);
    sqlite3_finalize(insert);
    sqlite3_finalize(commit);
    sqlite3_close(db);
    free(latencies);
    return 0;
}
