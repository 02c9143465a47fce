score --turn 0 hello
