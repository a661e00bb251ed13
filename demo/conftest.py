"""The product's test fixtures (kestrel/conftest.py) here too: the personas, and the autouse ones
(the school scope, the audit table's triggers) that `import *` would leave out for their names."""

from kestrel import conftest as _product

globals().update(
    {name: value for name, value in vars(_product).items() if not name.startswith("__")}
)
