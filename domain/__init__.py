"""Pure domain of rj-backbone: aggregates, events, rules. Imports nothing from outer layers."""
