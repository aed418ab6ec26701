package microsoft

import (
	"fmt"

	"github.com/offboard-dev/offboard"
	"github.com/offboard-dev/offboard/connectors"
)

// IntuneDeclaration is what the Intune connector implements. Its
// commands are done only when the device acknowledged them.
func IntuneDeclaration() offboard.Connector {
	return offboard.Connector{
		Name:  IntuneSystem,
		Label: IntuneLabel,
		Bindings: []offboard.Binding{
			{Capability: offboard.DevicesStatus, Action: "intune.status",
				Title: "Read the person's Microsoft Intune devices", Priority: offboard.PriorityReport},
			{Capability: offboard.DevicesLock, Action: "intune.lock",
				Title: "Lock the person's Microsoft Intune devices", Button: "Lock devices", Priority: offboard.PriorityDevice},
			{Capability: offboard.DevicesRetire, Action: "intune.retire",
				Title: "Retire the person's Microsoft Intune devices (remove company data)", Button: "Retire devices", Priority: offboard.PriorityDevice},
			{Capability: offboard.DevicesWipe, Action: "intune.wipe",
				Title: "Wipe the Microsoft Intune device (factory reset)", Button: "Wipe device", Priority: offboard.PriorityDevice},
		},
		Actions: IntuneActionIDs(),
	}
}

// IntuneActionIDs are the connector's action ids in the safe order.
func IntuneActionIDs() []string {
	return []string{"intune.status", "intune.lock", "intune.retire", "intune.wipe"}
}

// Register registers the Intune actions and declaration.
func (in *Intune) Register(r *connectors.Registry) error {
	actions := map[string]connectors.Action{
		"intune.status": connectors.ActionFunc(in.status),
		"intune.lock":   connectors.ActionFunc(in.lock),
		"intune.retire": connectors.ActionFunc(in.retire),
		"intune.wipe":   connectors.ActionFunc(in.wipe),
	}
	if len(actions) != len(IntuneActionIDs()) {
		return fmt.Errorf("intune: %d actions for %d ids", len(actions), len(IntuneActionIDs()))
	}
	return r.RegisterConnector(IntuneDeclaration(), actions)
}

// Intune reads devices for the shared adapters and the cards.
var _ offboard.DeviceReader = (*Intune)(nil)
