package offboard

import "fmt"

// Count says how many of something there are, in the singular for one:
// "1 task", "3 tasks", "0 tasks". many is the plural ("" adds an s).
func Count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	if many == "" {
		many = one + "s"
	}
	return fmt.Sprintf("%d %s", n, many)
}

// PersonWords names someone for people: "Mona Manager" when the name is
// known, else their email; "" when both are empty.
func PersonWords(name, email string) string {
	if name != "" {
		return name
	}
	return email
}
