package googlefake

// extraRoutes registers the routes of the other APIs, one function per
// file.
func (s *Server) extraRoutes() {
	s.securityRoutes()
	s.transferRoutes()
	s.gmailRoutes()
	s.licensingRoutes()
	s.vaultRoutes()
}
