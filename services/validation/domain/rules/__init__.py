"""The rules, one module per subject. Each module exports its `Rule`s in run order (`RULES`; `category` has one
list per rule pack); `domain.pack` puts them into the versioned rule packs."""
