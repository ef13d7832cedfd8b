package jws

// Claim names a registered or library claim: its row in claimTable.
//
// Adding a registered claim is one constant here, one row in claimTable
// (its name, kind and storage slot; the presence bit is 1<<Claim) and its
// accessors: the getter (and, if its value cannot say it, Has…) on Claims,
// the setter on ClaimSet. The scanner (ParseSpans), Materialize, the
// Encoder and ClaimByName all read the table; nothing else lists the
// claims.
type Claim uint8

// The claims, in the order the Encoder writes them.
const (
	ClaimOther Claim = iota // not a registered claim: custom data
	ClaimSubject
	ClaimIssuedAt
	ClaimNotBefore
	ClaimID
	ClaimExpires
	ClaimIssuer
	ClaimAudience
	ClaimType // the token-type claim, under its configured name
	ClaimFresh
	ClaimFamily
	ClaimCSRF
	ClaimConfirmation // "cnf", RFC 7800: a JSON object (DPoP binds tokens with it)
	ClaimRoles
	ClaimAuthTime // "auth_time", RFC 9470 / OpenID Connect: when the user authenticated
	ClaimACR      // "acr", RFC 9470 / OpenID Connect: the authentication context class
	numClaims
)

// Presence bits for Claims.Has and RawClaims.Has: 1<<Claim.
const (
	HasSub      uint32 = 1 << ClaimSubject
	HasIat      uint32 = 1 << ClaimIssuedAt
	HasNbf      uint32 = 1 << ClaimNotBefore
	HasJti      uint32 = 1 << ClaimID
	HasExp      uint32 = 1 << ClaimExpires
	HasIss      uint32 = 1 << ClaimIssuer
	HasAud      uint32 = 1 << ClaimAudience
	HasType     uint32 = 1 << ClaimType
	HasFresh    uint32 = 1 << ClaimFresh
	HasAid      uint32 = 1 << ClaimFamily
	HasCSRF     uint32 = 1 << ClaimCSRF
	HasCnf      uint32 = 1 << ClaimConfirmation
	HasRoles    uint32 = 1 << ClaimRoles
	HasAuthTime uint32 = 1 << ClaimAuthTime
	HasACR      uint32 = 1 << ClaimACR
	HasCustom   uint32 = 1 << ClaimOther // at least one member that is not in the table
)

// Bit returns the claim's presence bit.
func (c Claim) Bit() uint32 { return 1 << c }

// kind says how a claim's value is read, stored and written.
type kind uint8

const (
	kindCustom       kind = iota // not in the table: validated and skipped
	kindString                   // a JSON string
	kindStringOrList             // a string or a list of strings ("aud")
	kindRoleList                 // a list of strings; any other value is custom data, not an error
	kindDate                     // a NumericDate, in whole seconds
	kindDateMilli                // a NumericDate, in milliseconds (a fraction beyond them truncated)
	kindBool                     // true or false
	kindObject                   // a JSON object, kept as its raw JSON text
)

// Storage slots: strings and objects (raw text) share the string slots;
// dates, booleans and lists have their own.
const (
	strSub = iota
	strIss
	strJti
	strType
	strAid
	strCSRF
	strCnf
	strACR
	numStr
)

// internSlots are the string slots whose values Materialize looks up among
// the interned ones (DecoderConfig.Interned: token types, issuers,
// audiences): the others (sub, jti, aid, csrf, cnf, acr) hold values
// that are unique or never configured, so looking them up only costs.
const internSlots = 1<<strIss | 1<<strType

const (
	dateExp = iota
	dateNbf
	dateIat
	dateAuthTime
	numDates
)

const (
	boolFresh = iota
	numBools
)

const (
	listAud = iota
	listRoles
	numLists
)

// claimRow describes one claim.
type claimRow struct {
	name string // "" for the type claim, whose name is configured
	kind kind
	slot uint8 // in the storage of its kind
}

// claimTable is the one description of the registered and library claims.
var claimTable = [numClaims]claimRow{
	ClaimOther:        {"", kindCustom, 0},
	ClaimSubject:      {"sub", kindString, strSub},
	ClaimIssuedAt:     {"iat", kindDateMilli, dateIat},
	ClaimNotBefore:    {"nbf", kindDate, dateNbf},
	ClaimID:           {"jti", kindString, strJti},
	ClaimExpires:      {"exp", kindDate, dateExp},
	ClaimIssuer:       {"iss", kindString, strIss},
	ClaimAudience:     {"aud", kindStringOrList, listAud},
	ClaimType:         {"", kindString, strType},
	ClaimFresh:        {"fresh", kindBool, boolFresh},
	ClaimFamily:       {"aid", kindString, strAid},
	ClaimCSRF:         {"csrf", kindString, strCSRF},
	ClaimConfirmation: {"cnf", kindObject, strCnf},
	ClaimRoles:        {"roles", kindRoleList, listRoles},
	ClaimAuthTime:     {"auth_time", kindDate, dateAuthTime},
	ClaimACR:          {"acr", kindString, strACR},
}

// Name returns the claim's name ("" for ClaimOther and ClaimType, whose
// name is configured).
func (c Claim) Name() string {
	if c >= numClaims {
		return ""
	}
	return claimTable[c].name
}

// ClaimByName returns the claim with exactly this name (ClaimOther for a
// custom claim; the type claim is not found by name, its name being
// configured).
func ClaimByName(name string) Claim { return Claim(claimKey(readOnly(name))) }

// Member names are recognised from their first eight bytes: a name of n <
// 8 bytes, loaded little endian and masked to its n bytes, is a word that
// determines it (names hold no zero byte). wordTab is a perfect hash of
// the table's words, found by New: one multiplication and one load.
const wordShift = 58 // 64 slots

type wordEntry struct {
	w   uint64
	key uint8
}

var (
	wordMul  uint64
	wordTab  [1 << (64 - wordShift)]wordEntry
	longKeys []Claim // rows whose names have eight bytes or more
)

func nameWord(n []byte) uint64 {
	var w uint64
	for i := len(n) - 1; i >= 0; i-- {
		w = w<<8 | uint64(n[i])
	}
	return w
}

func init() {
	var words [numClaims]uint64
	for k, r := range claimTable {
		switch {
		case r.name == "":
		case len(r.name) >= 8:
			longKeys = append(longKeys, Claim(k))
		default:
			words[k] = nameWord([]byte(r.name))
		}
	}
	m := uint64(0x9E3779B97F4A7C15)
search:
	for try := 0; try < 1<<16; try++ {
		m += 0x632BE59BD9B4E019 // odd step: every candidate is odd
		var used [len(wordTab)]bool
		for _, w := range words {
			if w == 0 {
				continue
			}
			i := (w * m) >> wordShift
			if used[i] {
				continue search
			}
			used[i] = true
		}
		wordMul = m
		for k, w := range words {
			if w != 0 {
				wordTab[(w*m)>>wordShift] = wordEntry{w, uint8(k)}
			}
		}
		return
	}
	panic("jws: no perfect hash for the claim names")
}

// wordKey recognises a claim name from its word (see nameWord): a name of
// at most seven bytes without zero bytes.
func wordKey(w uint64) int {
	e := &wordTab[(w*wordMul)>>wordShift]
	if e.w == w {
		return int(e.key) // an empty slot has w 0, key ClaimOther
	}
	return int(ClaimOther)
}

// claimKey recognises a claim name (the type claim excepted).
func claimKey(n []byte) int {
	if len(n) < 8 {
		if k := wordKey(nameWord(n)); len(claimTable[k].name) == len(n) {
			return k
		}
		return int(ClaimOther)
	}
	for _, k := range longKeys {
		if claimTable[k].name == string(n) {
			return int(k)
		}
	}
	return int(ClaimOther)
}
