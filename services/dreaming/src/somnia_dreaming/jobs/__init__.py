"""One module per dream job; each is a function of what it reads, testable alone."""
