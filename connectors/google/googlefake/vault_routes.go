package googlefake

// vaultRoutes registers the routes of this API (not modelled yet).
func (s *Server) vaultRoutes() {}
