package config

import (
	"fmt"

	"github.com/offboard-dev/offboard"
)

// TerminationKinds is the termination type mapping the BambooHR webhook
// and API client both resolve kinds with: hris.bamboohr.termination_types,
// or the defaults when the file sets none.
func (b BambooHR) TerminationKinds() (*offboard.TerminationTypes, error) {
	types := b.TerminationTypes
	if types == nil {
		types = DefaultTerminationTypes()
	}
	kinds, err := offboard.NewTerminationTypes(types)
	if err != nil {
		return nil, fmt.Errorf("hris.bamboohr.%w", err)
	}
	return kinds, nil
}
