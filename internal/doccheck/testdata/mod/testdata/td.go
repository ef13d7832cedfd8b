package td

func InTestdata() {}
