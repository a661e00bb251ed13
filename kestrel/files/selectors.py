"""Reads about incident files for pages and downloads."""


def students_about(attachment):
    """The students a file's name may name: its incident's own, then its linked students. Read
    only when iterated (under Hide Names), so a download with names shown makes no query."""
    incident = attachment.incident
    yield incident.student
    yield from (link.student for link in incident.links.all())
