module cloudlet/compat/gosdk

go 1.24

require github.com/cloudinary/cloudinary-go/v2 v2.16.1

require (
	github.com/creasty/defaults v1.7.0 // indirect
	github.com/google/uuid v1.5.0 // indirect
	github.com/gorilla/schema v1.4.1 // indirect
)
