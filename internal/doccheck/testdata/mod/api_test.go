package api

func InTestFile() {}
