raise ImportError("not vendored by gapbench: multi_turn_base does not use it")
