"""Built-in connectors, one package per provider; each imports its SDK lazily."""
