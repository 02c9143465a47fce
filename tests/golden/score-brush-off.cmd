score --after-brush-off --turn 3 -
