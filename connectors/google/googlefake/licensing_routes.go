package googlefake

// licensingRoutes registers the routes of this API (not modelled yet).
func (s *Server) licensingRoutes() {}
