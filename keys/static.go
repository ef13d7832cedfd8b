package keys

import (
	"slices"

	"github.com/librenz/authjwt/internal/keyhook"
)

func init() { keyhook.StaticSet = staticSet }

// staticSet builds the Set of authjwt.New's static keys (see keyhook):
// their checks are New's, so they are published as they are.
func staticSet(ks any, signer int) any {
	list := slices.Clone(ks.([]Key))
	for i := range list {
		if list[i].Public == nil && list[i].Signer != nil {
			list[i].Public = list[i].Signer.Public()
		}
	}
	s := NewSet(AllowMissingKID())
	s.mu.Lock()
	s.publish(list, signer)
	s.mu.Unlock()
	return s
}
