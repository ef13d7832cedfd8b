package skip

func InUnderscoreDir() {}
