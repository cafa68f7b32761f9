"""Updates as users ask for them: build, add, remove and watch, each through the one writer."""
