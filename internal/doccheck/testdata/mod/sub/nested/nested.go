package nested

func InOtherModule() {}
