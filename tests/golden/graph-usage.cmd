graph --format svg tests/graph/coffee.yaml
