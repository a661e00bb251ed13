"""The bench: `make bench` (runner) and the trust it runs against (`manage.py seed_scale`, scale).

Not part of the product: it imports kestrel, and nothing in kestrel imports it.
"""
