package nodoc

// F is documented, but the package has no package comment.
func F() {}
