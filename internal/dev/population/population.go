// Package population is the synthetic test population that `segl serve
// --dev` serves through its stand-ins: people with identity numbers, contact
// data, eIDs and mailboxes, and organisations with their roles. It is the
// project's own copy of shared/testdata/population.json.
package population

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

//go:embed population.json
var raw []byte

// Person is a synthetic citizen.
type Person struct {
	PID            string `json:"pid"`
	GivenName      string `json:"given_name"`
	FamilyName     string `json:"family_name"`
	BirthDate      string `json:"birth_date"`
	KRRStatus      string `json:"krr_status"` // active, reserved, …
	Email          string `json:"email"`
	Mobile         string `json:"mobile"`
	DigitalMailbox string `json:"digital_mailbox"` // digipost, eboks or empty
	// Language is the language the person chose in KRR (nb, nn, en, se);
	// empty means nb. An addition of segl's copy to the shared population.
	Language string   `json:"language,omitempty"`
	EIDs     []string `json:"eids"`
}

// Organisation is a synthetic organisation with its roles in the business register.
type Organisation struct {
	Number string `json:"orgnr"`
	Name   string `json:"name"`
	Roles  []struct {
		PID  string `json:"pid"`
		Role string `json:"role"` // DAGL (general manager), SIGN (signature right), …
	} `json:"roles"`
}

// Population is the whole set.
type Population struct {
	People        []Person       `json:"people"`
	Organisations []Organisation `json:"organisations"`
}

// Load decodes the embedded population.
func Load() (*Population, error) {
	var p Population
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("population: %w", err)
	}
	return &p, nil
}

// Person finds a person by identity number.
func (p *Population) Person(pid string) (Person, bool) {
	for _, x := range p.People {
		if x.PID == pid {
			return x, true
		}
	}
	return Person{}, false
}

// Name is the person's full name.
func (p Person) Name() string { return p.GivenName + " " + p.FamilyName }
