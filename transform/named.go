package transform

import (
	"slices"
	"strconv"
	"strings"
)

// Limits of Expand: how deep named transformations may refer to others, and how much work one
// expansion may do (t_a whose definition is t_b.b.b.b, and so on, grows exponentially).
const (
	maxNamedDepth     = 8
	maxExpandedLength = 100 // components in the result
	maxNamedLookups   = 200 // names expanded, counting repeats
)

// Expand replaces every t_<name> (t_a.b = a then b) by the named definition, recursively,
// refusing unknown names, cycles and nesting deeper than 8 with a *ParseError. A component that
// has t_ plus other parameters becomes: the expansion, then a component of its other
// parameters. lookup returns a definition as transformation text (Parse's input).
func (c Chain) Expand(lookup func(name string) (definition string, ok bool)) (Chain, error) {
	e := expansion{lookup: lookup}
	if err := e.chain(c, nil); err != nil {
		return Chain{}, err
	}
	return Chain{Components: e.out}, nil
}

// expansion is the state of one Expand call.
type expansion struct {
	lookup  func(string) (string, bool)
	out     []Component
	lookups int
}

// chain appends c's components to e.out with their named transformations expanded; stack holds
// the names being expanded, outermost first.
func (e *expansion) chain(c Chain, stack []string) error {
	for _, comp := range c.Components {
		for _, name := range comp.Named {
			if err := e.name(name, stack); err != nil {
				return err
			}
		}
		rest := comp
		rest.Named = nil
		if len(comp.Named) == 0 || len(rest.canonicalParams()) > 0 {
			e.out = append(e.out, rest)
		}
		if e.lookups > 0 && len(e.out) > maxExpandedLength {
			return namedError(append(slices.Clone(stack), comp.Named...), "expands to more than "+strconv.Itoa(maxExpandedLength)+" components")
		}
	}
	return nil
}

func (e *expansion) name(name string, stack []string) error {
	path := append(slices.Clone(stack), name)
	switch {
	case slices.Contains(stack, name):
		return namedError(path, "cycle")
	case len(stack) == maxNamedDepth:
		return namedError(path, "nested deeper than "+strconv.Itoa(maxNamedDepth))
	}
	if e.lookups++; e.lookups > maxNamedLookups {
		return namedError(path, "expands more than "+strconv.Itoa(maxNamedLookups)+" names")
	}
	def, ok := e.lookup(name)
	if !ok {
		return namedError(path, "not found")
	}
	sub, err := Parse(def)
	if err != nil {
		return namedError(path, err.Error())
	}
	return e.chain(sub, path)
}

// namedError reports a named transformation that cannot be expanded; path is the chain of names
// that led to it, outermost first.
func namedError(path []string, reason string) *ParseError {
	name := ""
	if len(path) > 0 {
		name = path[len(path)-1]
	}
	if len(path) > 1 {
		reason += ": " + strings.Join(path, " > ")
	}
	return &ParseError{Param: "t", Value: name, Message: "Invalid named transformation - " + name + " (" + reason + ")"}
}
