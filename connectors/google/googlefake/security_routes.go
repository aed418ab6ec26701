package googlefake

// securityRoutes registers the routes of this API (not modelled yet).
func (s *Server) securityRoutes() {}
