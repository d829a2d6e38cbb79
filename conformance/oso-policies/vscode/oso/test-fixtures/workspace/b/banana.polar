banana
