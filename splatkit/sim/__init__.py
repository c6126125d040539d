"""A teaching simulator of lockdep's validator (``splatkit.sim``)."""
