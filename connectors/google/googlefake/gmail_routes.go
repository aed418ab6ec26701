package googlefake

// gmailRoutes registers the routes of this API (not modelled yet).
func (s *Server) gmailRoutes() {}
