module greet

go 1.23

require dodil.io/ignite v0.0.0
