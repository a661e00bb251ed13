"""A multi-academy trust's ten years of safeguarding records, for benchmarks (`seed_scale`).

The schools and staff are set up like the demo school (demo.school) through the ORM.
Students, then incidents with their actions, alerts and audit events (made in a forked process),
are written with plain INSERTs (executemany) on SQLite and COPY on PostgreSQL, with ids allocated
here and the non-unique indexes built once at the end, all in one transaction. Audit rows are
linked into each school's hash chain by kestrel.audit.chain's own canonical form and hash.

seeder              `seed_scale`, the seeder's shared state, and the generator process
trust               the schools, their access levels, categories, agencies, staff and groups
students            the students of ten years, each with the window they were at school
incidents           whose and when, then each incident's rows (in the generator)
alerts_and_actions  the alerts and actions that follow an incident (in the generator)
audit_trail         audit rows linked into each school's chain
sinks               writing rows (executemany, COPY), ids, and the fast-load settings
draws, times        random distributions; times as microseconds and as the databases' text
texts               titles, category weights and the sentences records are written from
"""

from bench.scale.seeder import PASSWORD, SEED, seed_scale
from bench.scale.sinks import COLUMNS
from bench.scale.trust import SCHOOL_NAME, SchoolExists, existing_school, school_names

__all__ = [
    "COLUMNS",
    "PASSWORD",
    "SCHOOL_NAME",
    "SEED",
    "SchoolExists",
    "existing_school",
    "school_names",
    "seed_scale",
]
