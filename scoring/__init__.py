"""Pure scoring and decisions: plain data in, plain data out. Imports nothing of Tandem's."""
