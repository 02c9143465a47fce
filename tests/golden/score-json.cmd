score --json -
