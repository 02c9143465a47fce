score --persona curious-mentor --turn 4 --json -
