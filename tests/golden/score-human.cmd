score -
