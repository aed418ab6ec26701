package jamf

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/offboard-dev/offboard"
)

// The API role privileges each call needs, as Jamf Pro names them.
const (
	PrivReadComputers     = "Read Computers"
	PrivReadMobileDevices = "Read Mobile Devices"
	PrivReadCommands      = "View MDM command information in Jamf Pro API"
	PrivComputerLock      = "Send Computer Remote Lock Command"
	PrivComputerWipe      = "Send Computer Remote Wipe Command"
	PrivMobileLock        = "Send Mobile Device Remote Lock Command"
	PrivMobileWipe        = "Send Mobile Device Remote Wipe Command"
)

// pageSize is how many devices one inventory page asks for; a person with
// more is not something an offboarding acts on partially.
const pageSize = 100

// Kind tells computers from mobile devices: they are read from different
// inventories and need different privileges for the same command.
type Kind string

// Device kinds.
const (
	KindComputer Kind = "computer"
	KindMobile   Kind = "mobile"
)

// device is one of the person's devices in Jamf, as offboard acts on it.
type device struct {
	kind Kind
	// inventoryID is Jamf's inventory id ("17"); managementID is the MDM
	// client's id, what commands name and what offboard calls the
	// device's ID (it is unique across computers and mobile devices).
	inventoryID  string
	managementID string
	d            offboard.Device
}

func (d device) label() string {
	name := d.d.Name
	if name == "" {
		name = d.d.Model
	}
	if name == "" {
		return string(d.kind) + " " + d.inventoryID
	}
	return fmt.Sprintf("%s (%s %s)", name, d.kind, d.inventoryID)
}

// computer is the part of Jamf's computers-inventory record offboard
// reads (sections GENERAL, HARDWARE, USER_AND_LOCATION, DISK_ENCRYPTION,
// OPERATING_SYSTEM, PURCHASING).
type computer struct {
	ID      string `json:"id"`
	General struct {
		Name            string     `json:"name"`
		LastContactTime *time.Time `json:"lastContactTime"`
		ReportDate      *time.Time `json:"reportDate"`
		ManagementID    string     `json:"managementId"`
	} `json:"general"`
	Hardware struct {
		Model        string `json:"model"`
		SerialNumber string `json:"serialNumber"`
	} `json:"hardware"`
	UserAndLocation struct {
		Username string `json:"username"`
		Email    string `json:"email"`
	} `json:"userAndLocation"`
	DiskEncryption struct {
		BootPartitionEncryptionDetails struct {
			PartitionFileVault2State string `json:"partitionFileVault2State"`
		} `json:"bootPartitionEncryptionDetails"`
	} `json:"diskEncryption"`
	OperatingSystem struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"operatingSystem"`
	Purchasing struct {
		PurchasePrice string `json:"purchasePrice"`
	} `json:"purchasing"`
}

// mobileDevice is the part of Jamf's mobile-devices/detail record
// offboard reads (sections GENERAL, HARDWARE, USER_AND_LOCATION,
// PURCHASING).
type mobileDevice struct {
	ID         string `json:"mobileDeviceId"`
	DeviceType string `json:"deviceType"`
	General    struct {
		DisplayName             string     `json:"displayName"`
		ManagementID            string     `json:"managementId"`
		LastInventoryUpdateDate *time.Time `json:"lastInventoryUpdateDate"`
		OSVersion               string     `json:"osVersion"`
	} `json:"general"`
	Hardware struct {
		Model        string `json:"model"`
		SerialNumber string `json:"serialNumber"`
	} `json:"hardware"`
	UserAndLocation struct {
		Username     string `json:"username"`
		EmailAddress string `json:"emailAddress"`
	} `json:"userAndLocation"`
	Purchasing struct {
		PurchasePrice string `json:"purchasePrice"`
	} `json:"purchasing"`
}

type page[T any] struct {
	TotalCount int `json:"totalCount"`
	Results    []T `json:"results"`
}

func (c computer) device() device {
	d := offboard.Device{ID: c.General.ManagementID, Name: c.General.Name, Model: c.Hardware.Model,
		Serial: c.Hardware.SerialNumber, OS: c.OperatingSystem.Name, OSVersion: c.OperatingSystem.Version,
		Compliance: offboard.ComplianceUnknown, Value: strings.TrimSpace(c.Purchasing.PurchasePrice)}
	if d.OS == "" {
		d.OS = "macOS"
	}
	// Last contact is the device talking to Jamf (what a lock waits for);
	// the inventory report date is the fallback when Jamf has none.
	switch {
	case c.General.LastContactTime != nil:
		d.LastCheckIn = c.General.LastContactTime.UTC()
	case c.General.ReportDate != nil:
		d.LastCheckIn = c.General.ReportDate.UTC()
	}
	d.Encrypted = fileVault(c.DiskEncryption.BootPartitionEncryptionDetails.PartitionFileVault2State)
	return device{kind: KindComputer, inventoryID: c.ID, managementID: c.General.ManagementID, d: d}
}

// fileVault reads Jamf's FileVault 2 state of the boot partition (enum
// ComputerPartitionFileVault2State: UNKNOWN, UNENCRYPTED, INELIGIBLE,
// DECRYPTED, DECRYPTING, ENCRYPTED, ENCRYPTING, RESTART_NEEDED,
// OPTIMIZING, DECRYPTING_PAUSED, ENCRYPTING_PAUSED): nil
// when Jamf does not know, so the card does not claim either way.
func fileVault(state string) *bool {
	var v bool
	switch strings.ToUpper(state) {
	case "ENCRYPTED":
		v = true
	case "UNENCRYPTED", "DECRYPTED", "INELIGIBLE", "DECRYPTING", "ENCRYPTING", "ENCRYPTING_PAUSED", "DECRYPTING_PAUSED", "OPTIMIZING", "RESTART_NEEDED":
		// Only a finished encryption protects the disk of a lost laptop.
		v = false
	default:
		return nil
	}
	return &v
}

func (m mobileDevice) device() device {
	os := "iOS"
	if strings.EqualFold(m.DeviceType, "tvOS") {
		os = "tvOS"
	}
	d := offboard.Device{ID: m.General.ManagementID, Name: m.General.DisplayName, Model: m.Hardware.Model,
		Serial: m.Hardware.SerialNumber, OS: os, OSVersion: m.General.OSVersion, Compliance: offboard.ComplianceUnknown,
		Value: strings.TrimSpace(m.Purchasing.PurchasePrice)}
	if m.General.LastInventoryUpdateDate != nil {
		d.LastCheckIn = m.General.LastInventoryUpdateDate.UTC()
	}
	return device{kind: KindMobile, inventoryID: m.ID, managementID: m.General.ManagementID, d: d}
}

// personDevices finds the person's computers and mobile devices by email,
// and by username (the email's local part) when the email finds none of a
// kind: Jamf's user and location fields come from inventory or an LDAP
// lookup, and many sites fill only the username.
// unenrolledPrefix names a device without an MDM management id by its
// inventory id ("inventory:17").
const unenrolledPrefix = "inventory:"

// notEnrolled is the words for a device no command can reach.
func notEnrolled(d device) string {
	return "Jamf Pro lists " + d.label() + " without an MDM management id (not enrolled?): no command reaches it; lock or recover it by hand"
}

func (c *Client) personDevices(ctx context.Context, t offboard.Target) ([]device, error) {
	email := strings.TrimSpace(t.Email)
	if email == "" {
		return nil, offboard.Errorf(offboard.EINVALID, "jamf: the person has no email to look their devices up by")
	}
	local, _, _ := strings.Cut(email, "@")
	comps, err := c.computersBy(ctx, "userAndLocation.email", email)
	comps = slices.DeleteFunc(comps, func(cm computer) bool {
		return !owned(cm.UserAndLocation.Email, cm.UserAndLocation.Username, email, "")
	})
	if err == nil && len(comps) == 0 && local != "" {
		comps, err = c.computersBy(ctx, "userAndLocation.username", local)
		comps = slices.DeleteFunc(comps, func(cm computer) bool {
			return !owned(cm.UserAndLocation.Email, cm.UserAndLocation.Username, email, local)
		})
	}
	if err != nil {
		return nil, err
	}
	mobiles, err := c.mobilesBy(ctx, "userAndLocation.emailAddress", email)
	mobiles = slices.DeleteFunc(mobiles, func(m mobileDevice) bool {
		return !owned(m.UserAndLocation.EmailAddress, m.UserAndLocation.Username, email, "")
	})
	if err == nil && len(mobiles) == 0 && local != "" {
		mobiles, err = c.mobilesBy(ctx, "userAndLocation.username", local)
		mobiles = slices.DeleteFunc(mobiles, func(m mobileDevice) bool {
			return !owned(m.UserAndLocation.EmailAddress, m.UserAndLocation.Username, email, local)
		})
	}
	if err != nil {
		return nil, err
	}
	out := make([]device, 0, len(comps)+len(mobiles))
	for _, cm := range comps {
		out = append(out, cm.device())
	}
	for _, m := range mobiles {
		out = append(out, m.device())
	}
	for i := range out {
		if out[i].managementID == "" {
			// Jamf lists devices never enrolled in MDM (imported inventory)
			// without one: no command reaches them, but they are still the
			// person's and shown; they are named by their inventory id, and
			// the lock and the wipe report them instead of failing the
			// enrolled ones.
			out[i].d.ID = unenrolledPrefix + out[i].inventoryID
		}
	}
	return out, nil
}

// owned reports whether a device Jamf listed for the person is theirs:
// its inventory email is theirs, or (username, the second try) its
// username is the email's local part and it names no other email. Jamf's
// RSQL == matches * as a wildcard, so an email such as *@example.com
// would otherwise list every Mac, and a username alone is shared by
// alex@example.com and alex@subsidiary.example: offboard locks only what
// the inventory says is the person's.
func owned(invEmail, invUsername, email, username string) bool {
	invEmail, invUsername = strings.TrimSpace(invEmail), strings.TrimSpace(invUsername)
	if username == "" {
		return strings.EqualFold(invEmail, email)
	}
	return strings.EqualFold(invUsername, username) && (invEmail == "" || strings.EqualFold(invEmail, email))
}

// inventoryQuery is one inventory list of Jamf's: where, which sections,
// what to call its devices and the privilege it needs.
type inventoryQuery struct {
	path     string
	sections []string
	noun     string
	priv     string
}

var (
	computersQuery = inventoryQuery{path: "/v1/computers-inventory", noun: "computers", priv: PrivReadComputers,
		sections: []string{"GENERAL", "HARDWARE", "USER_AND_LOCATION", "DISK_ENCRYPTION", "OPERATING_SYSTEM", "PURCHASING"}}
	mobilesQuery = inventoryQuery{path: "/v2/mobile-devices/detail", noun: "mobile devices", priv: PrivReadMobileDevices,
		sections: []string{"GENERAL", "HARDWARE", "USER_AND_LOCATION", "PURCHASING"}}
)

// inventoryBy reads one page of q's devices whose field equals value; more
// than a page is refused rather than acted on in part.
func inventoryBy[T any](ctx context.Context, c *Client, q inventoryQuery, field, value string) ([]T, error) {
	v := url.Values{}
	for _, s := range q.sections {
		v.Add("section", s)
	}
	v.Set("page", "0")
	v.Set("page-size", fmt.Sprint(pageSize))
	v.Set("filter", field+"=="+rsqlString(value))
	var p page[T]
	if err := c.do(ctx, call{method: "GET", path: q.path + "?" + v.Encode(), out: &p,
		what: "read the " + q.noun + " of " + value, priv: q.priv}); err != nil {
		return nil, err
	}
	if p.TotalCount > len(p.Results) {
		return nil, offboard.Errorf(offboard.EINVALID, "Jamf Pro lists %d %s for %s, more than one page; act on them in Jamf Pro", p.TotalCount, q.noun, value)
	}
	return p.Results, nil
}

func (c *Client) computersBy(ctx context.Context, field, value string) ([]computer, error) {
	return inventoryBy[computer](ctx, c, computersQuery, field, value)
}

func (c *Client) mobilesBy(ctx context.Context, field, value string) ([]mobileDevice, error) {
	return inventoryBy[mobileDevice](ctx, c, mobilesQuery, field, value)
}
