"""Round trips with the real dump tools: build a database, dump it, load the dump with
``twinsql load`` into an empty one, compare."""
