"""Private parts of `storyboard.lettering`."""
