"""`make bench`: Kestrel's pages under gunicorn and wrk, compared with a bare Django view.

database: the bench's own database, migrated and seeded once (seed_scale); people: its users and
signed-in sessions; plan: the records each page uses; pages: what is driven and expected;
queries: queries per request, in-process; load and wrk.lua: driving a page with wrk and judging
the answers; server: gunicorn; report: the table and the JSON; run: one run, start to end.
"""
