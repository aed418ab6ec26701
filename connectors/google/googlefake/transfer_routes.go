package googlefake

// transferRoutes registers the routes of this API (not modelled yet).
func (s *Server) transferRoutes() {}
