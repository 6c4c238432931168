"""The reliability drills of issue 11: faults and hostile input against the running backbone,
each counted from outside (sent, applied, dead-lettered, lost, duplicates, out of order,
seconds to recover). ``python -m drills --help``; ``make drills``."""
